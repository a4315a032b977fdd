package dev.easel.http;

import dev.easel.jobs.JobService;
import dev.easel.webhooks.WebhookService;

/** The caller's own account: balance and limits, and its webhook signing secret. */
final class AccountRoutes {
    private final JobService jobs;
    private final WebhookService webhooks;

    AccountRoutes(JobService jobs, WebhookService webhooks) {
        this.jobs = jobs;
        this.webhooks = webhooks;
    }

    void register(RouteTable routes) {
        routes.get("/account", Access.ACCOUNT, (ctx, a) -> Responses.json(ctx, 200, Views.account(a, jobs.usage(a.id()))))
                .get("/account/webhook-secret", Access.ACCOUNT,
                        (ctx, a) -> Responses.json(ctx, 200, Views.webhookSecret(webhooks.secrets(a.id()))))
                .post("/account/webhook-secret/rotate", Access.ACCOUNT,
                        (ctx, a) -> Responses.json(ctx, 200, Views.webhookSecret(webhooks.rotate(a.id()))));
    }
}
