"""Posters of a placement's QR code: print-ready PDFs (A4 to a 4 × 3 m billboard) and a PNG
for digital screens.

Pure rendering (no ORM): callers pass the URL, the texts and the logo (`campaigns.printing`
does). One layout per format, computed as a list of shapes in the trim's coordinates, drawn by
two back ends: a vector PDF for print (fonts embedded, bleed, crop marks, TrimBox and
BleedBox) and a PNG for screens. `docs/print.md` explains the formats and the QR size rule.

- `formats`: the formats (the one table) and what a poster says;
- `fonts`: the typeface, embedded in the PDF and drawn in the PNG;
- `layout`: each format's shapes;
- `render`: the shapes drawn as a PDF or a PNG.
"""
