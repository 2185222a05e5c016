"""nbval starts each notebook's kernel again when it died as it started (jupyter_client's port race,
rnntutor.kernels): a lost race is not a failing chapter."""

from __future__ import annotations


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("nbval"):
        return
    import nbval.plugin

    from rnntutor.kernels import start_again_if_it_died

    class RunningKernel(nbval.plugin.RunningKernel):
        def __init__(self, *args, **kwargs):
            start_again_if_it_died(lambda: super(RunningKernel, self).__init__(*args, **kwargs))

    nbval.plugin.RunningKernel = RunningKernel
