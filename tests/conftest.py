import pytest

from hacheck.model import Config, HeartbeatModel


@pytest.fixture
def two_nodes():
    cfg = Config(N=2, home=(0, 1))
    return cfg, HeartbeatModel(cfg)


@pytest.fixture(autouse=True)
def _every_trace_written_opens_in_itf_readers(monkeypatch):
    """Every ITF file a test makes hacheck write (in this process) is checked as its
    readers read it: itf-py loads and round-trips it, and each field has one type
    (tests/itf_types.py)."""
    import itf_types
    from hacheck.tools import run
    write = run.write_itf

    def checked(path, document):
        itf_types.check(document)
        write(path, document)
    monkeypatch.setattr(run, "write_itf", checked)
