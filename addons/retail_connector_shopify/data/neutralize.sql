-- a neutralized copy holds no Shopify credential: it can neither call the store
-- nor accept its webhooks (the base pauses every backend)
UPDATE retail_backend
   SET shopify_access_token = NULL,
       shopify_client_secret = NULL,
       shopify_previous_client_secret = NULL;
