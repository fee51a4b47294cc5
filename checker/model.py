"""The interface between a protocol model and the engine (after Stateright's `Model` trait).

A model is a deterministic, finite transition system over immutable, hashable states:

- `init_states()` lists the initial states;
- `actions(state)` lists the actions enabled in `state`, in the same order every time;
- `next_state(state, action)` is the state the action leads to;
- `encode(state)` is a compact byte string that identifies the state exactly, and
  `decode(key)` gives the state back;
- `symmetries()` lists the automorphisms of the system (other than the identity) that
  the engine may use for symmetry reduction, each a function from state to encoding:
  `encode_under(state, symmetry)` is the encoding of the image of `state`.

Determinism matters: traces are rebuilt by replaying actions, and counts must be
reproducible on every machine.
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable, Iterator, Sequence


class Model:
    """Base class of a model; subclasses fill in the transition system."""

    def init_states(self) -> Sequence[Hashable]:
        raise NotImplementedError

    def actions(self, state) -> Iterable[Any]:
        raise NotImplementedError

    def next_state(self, state, action):
        raise NotImplementedError

    def successors(self, state) -> Iterator[tuple[Any, Hashable]]:
        """Every (action, next state) pair, in `actions` order. Override to fuse the two."""
        for action in self.actions(state):
            yield action, self.next_state(state, action)

    def encode(self, state) -> bytes:
        raise NotImplementedError

    def decode(self, key: bytes):
        """The state a key encodes (for a canonical key, the orbit's representative). The
        search keeps only keys in its frontier and decodes them when it expands them."""
        raise NotImplementedError

    def symmetries(self) -> Sequence[Any]:
        """Automorphisms other than the identity; none by default."""
        return ()

    def encode_under(self, state, symmetry) -> bytes:
        raise NotImplementedError

    def canonical_key(self, state, use_symmetry: bool = True) -> bytes:
        """The encoding of the orbit's representative: the least image encoding.

        The least byte string over the whole automorphism group is exact: two states get
        the same key iff one is the image of the other.
        """
        key = self.encode(state)
        if use_symmetry:
            for symmetry in self.symmetries():
                image = self.encode_under(state, symmetry)
                if image < key:
                    key = image
        return key

    def describe_action(self, action) -> str:
        return str(action)
