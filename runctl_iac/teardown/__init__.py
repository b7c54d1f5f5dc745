"""Teardown: stacks and AWS tags -> expired or orphaned environments -> destroy or sweep."""
