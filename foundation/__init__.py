"""The ground floor: settings, process helpers, local secrets, one-line errors and Chromium —
imported by every other package, importing none of them."""
