"""A block's markup (links, bold, anchors, list markers...) kept around the text sent to an
engine: `segment` splits blocks into units, `inline` masks inline atoms, `unit` holds the
token model, `fallback` places labels where placeholders were lost."""
