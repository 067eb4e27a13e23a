"""Example models written for the Neutone SDK 1.5, ported by changing their imports only.

Each module mirrors one of the SDK's realtime examples that needs no downloaded weights and is,
byte for byte, `neutone_export.port.port_source` of the script written for the SDK that the tests
keep (``tests/sdk15_scripts``): see ``docs/porting.md``. Run one with
``python -m neutone_examples.ported.clipper -o exports/clipper``.

Modules:
    clipper: sample-level clipper (``aggregate_params``), examples/neutone_fx/example_clipper.py.
    clipper_prefilter: FIR low-pass then clipper, examples/neutone_fx/example_clipper_prefilter.py.
    delayed_passthrough: a reported model delay, examples/neutone_fx/example_delayed_passthrough.py.
    overdrive_random: FiLM-conditioned random TCN, examples/neutone_fx/example_overdrive-random.py.
    spectral_filter: notch on the SDK's realtime STFT, examples/example_spectral_filter.py.
"""
