"""Messages about one import: what was dropped, flagged or assumed, per file and row."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Notice:
    file: str
    message: str
    row: int | None = None
    level: str = "warning"  # 'warning' (row skipped or assumption made) or 'info'

    def __str__(self) -> str:
        where = f"{self.file} 第 {self.row} 行" if self.row is not None else self.file
        return f"{where}：{self.message}"


@dataclass
class Notices:
    items: list[Notice] = field(default_factory=list)

    def add(self, file: str, message: str, row: int | None = None, level: str = "warning") -> None:
        """Note one thing about ``file`` (at ``row``, if it concerns one row).

        Examples
        --------
        >>> notices = Notices()
        >>> notices.add("a.csv", "时间无法识别，已跳过", row=7)
        >>> [str(n) for n in notices], len(notices)
        (['a.csv 第 7 行：时间无法识别，已跳过'], 1)
        """
        self.items.append(Notice(file, message, row, level))

    def rows(self, file: str, rows, message: str, limit: int = 20) -> None:
        """One notice per row (the first ``limit``), then a count of the rest.

        Examples
        --------
        >>> notices = Notices()
        >>> notices.rows("a.csv", range(2, 6), "坐标不在中国境内，已跳过", limit=2)
        >>> [str(n) for n in notices]
        ['a.csv 第 2 行：坐标不在中国境内，已跳过', 'a.csv 第 3 行：坐标不在中国境内，已跳过', 'a.csv：另有 2 行：坐标不在中国境内，已跳过']
        """
        rows = list(rows)
        for row in rows[:limit]:
            self.add(file, message, row)
        if len(rows) > limit:
            self.add(file, f"另有 {len(rows) - limit} 行：{message}")

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
