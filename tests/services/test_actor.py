"""`Actor`: who asked, through which door; the door ends up in every audit row."""

from __future__ import annotations

import dataclasses

import pytest

from banking.services.actor import Actor


def test_the_doors_build_the_actor_they_name():
    assert Actor.web(7) == Actor(7, "web")
    assert Actor.cli() == Actor(None, "cli")
    assert Actor.worker() == Actor(None, "worker")


def test_an_actor_cannot_change_after_it_was_made():
    actor = Actor.web(7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        actor.user_id = 8  # type: ignore[misc]


def test_an_unknown_channel_is_refused_rather_than_splitting_the_trail():
    with pytest.raises(ValueError, match="unknown channel"):
        Actor(1, "Web")
