-- a neutralized copy holds no marketplace credential (the base pauses every backend)
UPDATE retail_backend
   SET mirakl_api_key = NULL;
