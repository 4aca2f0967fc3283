-- a neutralized copy must not receive channel traffic nor sign anything
UPDATE retail_backend
   SET state = 'paused', webhook_secret = NULL, webhook_previous_secret = NULL;
-- granted tokens and running operations belong to the production database
DELETE FROM retail_backend_runtime;
-- nor tell other systems what happens in it
UPDATE retail_business_event_subscription SET state = 'disabled', secret = NULL;
-- nor answer the channel partners of production on the Channel API
UPDATE retail_api_key SET revoked_at = now() at time zone 'UTC' WHERE revoked_at IS NULL;
-- and their technical users keep no right there (as a revoke does)
UPDATE res_users SET active = FALSE
 WHERE id IN (SELECT user_id FROM retail_api_key WHERE user_id IS NOT NULL);
DELETE FROM res_groups_users_rel
 WHERE uid IN (SELECT user_id FROM retail_api_key WHERE user_id IS NOT NULL);
