"""Template tags through which a page shows a room it may not import (see health_record)."""
