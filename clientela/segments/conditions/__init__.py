"""Conditions segments offer over lower apps' data, registered in SegmentsConfig.ready.

Apps above segments (analytics, campaigns, journeys) register their own conditions with
clientela.segments.registry.register_condition in their AppConfig.ready.
"""
