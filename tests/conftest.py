import pytest

from hacheck.model import Config, HeartbeatModel


@pytest.fixture
def two_nodes():
    cfg = Config(N=2, home=(0, 1))
    return cfg, HeartbeatModel(cfg)
