-- a neutralized copy must not receive channel traffic nor sign anything
UPDATE retail_backend
   SET state = 'paused', webhook_secret = NULL;
