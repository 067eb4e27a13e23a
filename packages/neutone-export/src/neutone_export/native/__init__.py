"""Native programs built on first use against the torch wheel (`build`): the C++ libtorch host that
loads and times a `.nm` as the plugin does (`neutone_host.cpp`, driven by `host`), and the
embeddable streaming runtime of the pt2 package (`pt2_runtime.h`/`.cpp`, driven by
`neutone_export.pt2.native_runtime` through `pt2_main.cpp`).
"""
