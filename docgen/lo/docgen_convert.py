"""docgen's conversion, run inside LibreOffice by its Python script provider (docgen.officescript copies this
file into each instance's profile): open the DOCX with the load options given, give it its keywords as
whole phrases, export it as PDF with the filter data given, close it. One UNO call from docgen instead of five,
so a conversion does not wait on the other process's threads between its steps."""
import uno
from com.sun.star.beans import PropertyValue

#: In the error when the document cannot be opened (docgen.officescript says so in its own words).
CANNOT_OPEN = "DOCGEN-CANNOT-OPEN"


def _props(**values):
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)


def convert(source_url, target_url, load_options, keywords, filter_data):
    """``load_options`` and ``filter_data``: PropertyValues, as docgen.office's LOAD_OPTIONS and PDF filter data."""
    desktop = XSCRIPTCONTEXT.getDesktop()  # noqa: F821 (given by LibreOffice's script provider)
    doc = desktop.loadComponentFromURL(source_url, "_blank", 0, tuple(load_options))
    if doc is None:
        raise RuntimeError(CANNOT_OPEN)
    try:
        if keywords:  # LibreOffice reads a DOCX's keywords split at spaces; give it the phrases
            doc.DocumentProperties.Keywords = tuple(keywords)
        data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(filter_data))
        doc.storeToURL(target_url, _props(FilterName="writer_pdf_Export", FilterData=data))
    finally:
        doc.close(True)
    return True


g_exportedScripts = (convert,)
