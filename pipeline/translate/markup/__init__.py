"""A block's markup (links, bold, anchors, list markers...) kept around the text sent to an
engine: `segment` splits blocks into units, `inline` masks inline atoms, `unit` holds the
token model, `fallback` gives a unit without its pair markers, `place` puts the markers
back on the words of that flat translation that render each label."""
