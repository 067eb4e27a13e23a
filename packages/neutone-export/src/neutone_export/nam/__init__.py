"""Neural Amp Modeler captures as neutone models (`capture.import_nam`; the extra `nam`)."""
