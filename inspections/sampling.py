"""Draw the region spot check's sample (自治区抽查): a reproducible random sample of pairings, stratified by county.

Pure functions over objects already read: nothing here asks the database, so the same seed over the same pairings
draws the same sample on SQLite and PostgreSQL. The candidates are put in a stable order (the stratum's key, then
the pairing's pk) and every random choice comes from the draw's own `random.Random(seed)`, in that order.
"""

import random
from collections.abc import Callable, Sequence
from typing import Any

# The stratum of the pairings whose recipient has no county (city-administered schools): sorts before every code.
CITY_ADMINISTERED = ""


def recipient_county_code(pairing: Any) -> str:
    """Return a pairing's stratum: its recipient's county code, or "" for a city-administered recipient."""
    county = pairing.recipient.county
    return county.code if county is not None else CITY_ADMINISTERED


def shares(counts: dict[str, int], size: int) -> dict[str, int]:
    """Return how many pairings each stratum gives to a sample of `size`, given how many it has (`counts`).

    With at least one seat per stratum, each stratum gets one and the rest is shared in proportion to the
    strata's pairings by largest remainder: the whole parts first, then one more to each of the largest
    remainders (ties to the smaller key), passing over a stratum that has no pairing left. A size of at least
    all the pairings takes them all. Exact integer arithmetic: no rounding differs between machines.
    """
    total = sum(counts.values())
    if size >= total:
        return dict(counts)
    keys = sorted(key for key, count in counts.items() if count > 0)
    if size < len(keys):
        raise ValueError("fewer seats than strata: draw the strata first")
    rest = size - len(keys)
    given = {key: 1 + rest * counts[key] // total for key in keys}
    # rest·count/total < count, so the whole part never exceeds what a stratum has left after its first seat.
    by_remainder = sorted(keys, key=lambda key: (-(rest * counts[key] % total), key))
    left = size - sum(given.values())
    # A stratum already drawn whole passes its seat on; as size < total, some stratum always has a pairing left.
    while left:
        for key in by_remainder:
            if left == 0:
                break
            if given[key] < counts[key]:
                given[key] += 1
                left -= 1
    return given


def draw_sample(
    candidates: Sequence[Any], size: int, seed: int, *, stratum: Callable[[Any], str] = recipient_county_code
) -> list[Any]:
    """Return a sample of `size` among `candidates` (pairings with their recipient's county loaded), stratified by
    `stratum`, drawn with `random.Random(seed)`: the same seed and candidates always give the same sample, whatever
    order the candidates come in. The sample is in the stable order (stratum, pk).

    When the size allows, every stratum is represented and the rest is shared in proportion (`shares`); a size
    below the number of strata draws that many strata, then one pairing of each; a size of at least all the
    candidates takes them all.
    """
    ordered = sorted(candidates, key=lambda pairing: (stratum(pairing), pairing.pk))
    if size >= len(ordered):
        return ordered
    strata: dict[str, list[Any]] = {}
    for pairing in ordered:
        strata.setdefault(stratum(pairing), []).append(pairing)
    keys = sorted(strata)
    rng = random.Random(seed)
    if size < len(keys):
        chosen = {key: 1 for key in rng.sample(keys, size)}
    else:
        chosen = shares({key: len(strata[key]) for key in keys}, size)
    drawn: list[Any] = []
    for key in keys:  # in the stable order, so the generator's draws always fall the same way
        if chosen.get(key):
            drawn += sorted(rng.sample(strata[key], chosen[key]), key=lambda pairing: pairing.pk)
    return drawn
