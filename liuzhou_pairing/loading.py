"""What a load of reference data created and changed, reported by `load_liuzhou`."""

from dataclasses import dataclass, field


@dataclass
class LoadReport:
    """Counts of what a load created and changed, by kind of record."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, *, created: int = 0, updated: int = 0) -> None:
        self.created[kind] = self.created.get(kind, 0) + created
        self.updated[kind] = self.updated.get(kind, 0) + updated

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())
