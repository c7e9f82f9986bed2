"""The images a net trains and is inspected on: embedded sets (digits, generated shapes), real
sets from local folders, uploads checked before decoding, and the paper's augmentation."""
