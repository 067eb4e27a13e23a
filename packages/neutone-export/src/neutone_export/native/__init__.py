"""The C++ libtorch host (`neutone_host.cpp`) and its Python side (`host`): loads and times a `.nm`
as the plugin does.
"""
