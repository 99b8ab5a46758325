"""A caption glued to the first word: taken off, and names that only look glued kept whole."""

from __future__ import annotations

import pytest

from bot.captions import unglue_caption


@pytest.mark.parametrize(("text", "known", "expected"), [
    ("HerOne of the most glorious things…", (), "One of the most glorious things…"),
    ("Joaquin Phoenix in HerOne of the most glorious things…", (),
     "One of the most glorious things…"),
    ("Past LivesThe first thing you notice is the patience.", (),
     "The first thing you notice is the patience."),
    ("Paul Mescal in Aftersun. Photograph: A24Charlotte Wells's debut is…", (),
     "Charlotte Wells's debut is…"),
    ("Photo: NeonParasite's first shot looks up.", (), "Parasite's first shot looks up."),
    ("Burning (2018)Lee Chang-dong's film begins…", (), "Lee Chang-dong's film begins…"),
    ("vertigo-still.jpgScottie follows Madeleine…", (), "Scottie follows Madeleine…"),
    ("Courtesy of Sundance InstituteEvery scene takes place in a bowling alley.", (),
     "Every scene takes place in a bowling alley."),
    ("NomadlandFern packs her van.", ("Nomadland",), "Fern packs her van."),
    ("Frances McDormand at the LidoNomadland arrives at last.",
     ("Frances McDormand at the Lido",), "Nomadland arrives at last."),
    ("![a still](still.jpg)The film opens on a rooftop.", (), "The film opens on a rooftop."),
])
def test_glued_captions_are_taken_off(text: str, known: tuple[str, ...], expected: str) -> None:
    """Credits, years, file names, known titles and name-and-title captions come off."""
    assert unglue_caption(text, known=known) == expected


@pytest.mark.parametrize("text", [
    "McConaughey plays Cooper as a man who would rather be anywhere else.",
    "DiCaprio has never been funnier.",
    "iPhone footage gave Tangerine its look.",
    "YouTube essays about film have become a genre.",
    "LaBeouf wrote Honey Boy in rehab.",
    "LinkedIn is where the film's villain recruits.",
    "MacGuffins drive every Hitchcock plot.",
    "Steve McQueen's Hunger is a hard watch.",
    "It was the summer everyone stayed out of the water.The film opened everywhere.",
    "JoJo Rabbit divided critics.",
    "BlacKkKlansman opens with a scene from Gone with the Wind.",
    "Frances McDormand at the LidoNomadland arrives at last.",
])
def test_names_and_prose_stay_whole(text: str) -> None:
    """CamelCase names, brands, a typo after a full stop and an unknown caption stay whole."""
    assert unglue_caption(text) == text
