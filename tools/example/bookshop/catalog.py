"""The catalogue: made-up titles and, built when the module is imported,
a word index over them (the sizeable cache of the example)."""

import decimal
import random

BOOK_COUNT = 20_000
_WORDS = ('river', 'night', 'garden', 'stone', 'letter', 'winter', 'glass',
          'orchard', 'harbour', 'silence', 'copper', 'lantern', 'meadow',
          'thunder', 'archive', 'compass', 'ember', 'falcon', 'island')

_random = random.Random(1)
TITLES: list[str] = [
    ' '.join(_random.choice(_WORDS) for _ in range(4)) + f' ({number})'
    for number in range(BOOK_COUNT)
]

# Every prefix of every word of the titles -> the numbers of the books
# whose title has it: the cache, for searching as one types.
INDEX: dict[str, list[int]] = {}
for _number, _title in enumerate(TITLES):
    for _word in _title.split():
        for _end in range(1, len(_word) + 1):
            INDEX.setdefault(_word[:_end], []).append(_number)


def price_of(number: int) -> decimal.Decimal:
    return decimal.Decimal(5 + number % 20) + decimal.Decimal('0.99')
