"""Looking inside trained and untrained nets: probes, attribution, BN by numbers, the analyses
pages explain the paper with, lesions, loss landscapes, the GAP head check."""
