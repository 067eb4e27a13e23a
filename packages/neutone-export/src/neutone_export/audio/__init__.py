"""Audio as the plugin hears it: driving a module host buffer by host buffer (`host`), rendering,
the demo samples, knob values by name, delay measurement and audio files.
"""
