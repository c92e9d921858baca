"""Documents the kit renders. Pure functions of plain data: no ORM, no storage (an
import-linter contract keeps it so).

- `one_pager`: the co-branded one-pager (PDF);
- `talking_points`: talking points as Markdown, PDF and DOCX;
- `readme`: the README of an archive;
- `words`: the documents' words in their language; `style`: the house colours and fonts of
  the PDFs.
"""
