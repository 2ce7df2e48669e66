# Kernel settings used when the project's notebooks are executed by its tools and tests.
#
# TensorFlow's C++ runtime writes log lines (the oneDNN notice, absl warnings) straight to the
# process' file descriptors. By default ipykernel captures those into the notebook as stderr
# outputs when a notebook is run by nbclient, but not under nbval, so stored and fresh outputs
# would differ. Leaving fd output on the console keeps the notebooks' outputs reproducible.
c = get_config()  # noqa: F821
c.IPKernelApp.capture_fd_output = False
