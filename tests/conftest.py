import json

import pytest

from hacheck.model import Config, HeartbeatModel


@pytest.fixture
def two_nodes():
    cfg = Config(N=2, home=(0, 1))
    return cfg, HeartbeatModel(cfg)


@pytest.fixture(scope="session")
def longest_trace_written() -> dict:
    """The longest ITF document the tests have made hacheck write so far in this session
    (`document`: None before the first), for the viewer's layout test."""
    return {"document": None}


@pytest.fixture(autouse=True)
def _every_trace_written_opens_in_itf_readers(monkeypatch, longest_trace_written):
    """Every ITF file a test makes hacheck write (in this process) is checked as its
    readers read it: itf-py loads and round-trips it, and each field has one type
    (tests/itf_types.py). The longest is kept."""
    import itf_types
    from hacheck.tools import run
    write = run.write_itf

    def checked(path, document):
        itf_types.check(document)
        write(path, document)
        longest = longest_trace_written["document"]
        if longest is None or len(document["states"]) > len(longest["states"]):
            longest_trace_written["document"] = json.loads(json.dumps(document))
    monkeypatch.setattr(run, "write_itf", checked)
