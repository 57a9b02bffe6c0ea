"""Reading chapters page by page: the pager and what /read needs besides Discord."""
