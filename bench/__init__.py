"""Benchmark scenarios: `python -m bench NAME [--size N]` or `clientela bench NAME`."""

SCENARIOS = {
    "import-1m": "bench.import_1m",
    "api-read": "bench.api_read",
    "clv-1m": "bench.clv_1m",
    "rfm-1m": "bench.rfm_1m",
    "duplicates-1m": "bench.duplicates_1m",
    "tabular-read": "bench.tabular_read",
    "value-pages": "bench.value_pages",
    "segment-1m": "bench.segment_1m",
    "delivery-send": "bench.delivery_send",
    "delivery-kill": "bench.delivery_kill",
    "form-submit": "bench.form_submit",
    "track-ingest": "bench.track_ingest",
    "campaign-100k": "bench.campaign_100k",
    "mail-tracking": "bench.mail_tracking",
    "board-50k": "bench.board_50k",
    "funnel-1m": "bench.funnel_1m",
}
