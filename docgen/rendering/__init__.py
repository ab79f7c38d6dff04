"""What the render step is made of: the Jinja environment every template is rendered in (``environment``), finding
and checking a type's templates (``templates``), the template context (``context``) and the DOCX's
post-processing (``docx``: the number filled in, properties, accessible styles, the logo)."""
