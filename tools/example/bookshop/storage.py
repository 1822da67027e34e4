"""The shop's stock in an SQLite database, prices as Decimal."""

import decimal
import json
import sqlite3


class Shop:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute('create table book (title text, price text, '
                        'extra text)')

    def add(self, title: str, price: decimal.Decimal) -> None:
        self.db.execute('insert into book values (?, ?, ?)',
                        (title, str(price), json.dumps({'title': title})))

    def cheapest(self) -> str:
        rows = self.db.execute('select title, price from book').fetchall()
        if not rows:
            return 'none'
        title, price = min(rows, key=lambda row: decimal.Decimal(row[1]))
        return f'{title} at {price}'
