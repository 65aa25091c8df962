"""Fix builders: libcst transforms and text edits that keep behaviour."""
