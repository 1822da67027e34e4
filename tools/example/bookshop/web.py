"""Fetching a publisher's feed (not called by the example)."""

import http.client
import xml.etree.ElementTree as ElementTree


def feed_titles(host: str, path: str) -> list[str]:
    connection = http.client.HTTPSConnection(host, timeout=10)
    connection.request('GET', path)
    root = ElementTree.fromstring(connection.getresponse().read())
    return [item.text or '' for item in root.iter('title')]
