"""First-party web tracking: tracked sites, anonymous visitors, page views and CTA clicks."""
