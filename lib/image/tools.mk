# lib/image: convert, check, map, compare, measure.
