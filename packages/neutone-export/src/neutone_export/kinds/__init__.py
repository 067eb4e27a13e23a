"""The one place that knows the model kinds (realtime and non-realtime "Gen"): what each kind
scripts, saves, checks, renders and times.
"""
