"""What every page is made of: its text in two languages (i18n), the catalogue of pages (nav),
settings kept across pages and carried in links (state, links, share), Home's presets and
lesson, the guard that turns errors into messages, tables, verdict boxes, net names in the
reader's language (terms), and figures shown and cached per language."""
