"""The field app (城管通 for collectors, 处置通 for handlers): one installable mobile web app under
/m/ that works offline, over the product's own API."""
