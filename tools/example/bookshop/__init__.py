"""The example program's package: each module imports a realistic piece
of the standard library."""

from . import catalog, config, mail, storage, web

__all__ = ['catalog', 'config', 'mail', 'open_shop', 'storage', 'web']


def open_shop(settings: config.Settings) -> storage.Shop:
    shop = storage.Shop(':memory:')
    for number, title in enumerate(catalog.TITLES[:settings.books]):
        shop.add(title, catalog.price_of(number))
    return shop
