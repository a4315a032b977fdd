package dev.easel.http;

import dev.easel.accounts.AccountService;
import dev.easel.errors.DomainError;
import dev.easel.jobs.JobService;
import dev.easel.webhooks.WebhookService;

/** The caller's own account: balance and limits, and its webhook signing secret. */
final class AccountRoutes {
    private final AccountService accounts;
    private final JobService jobs;
    private final WebhookService webhooks;

    AccountRoutes(AccountService accounts, JobService jobs, WebhookService webhooks) {
        this.accounts = accounts;
        this.jobs = jobs;
        this.webhooks = webhooks;
    }

    void register(RouteTable routes) {
        routes.get("/account", Access.ACCOUNT, (ctx, accountId) -> Responses.json(ctx, 200, Views.account(accounts.find(accountId)
                        .orElseThrow(() -> new DomainError.NotFound("no account " + accountId)), jobs.usage(accountId))))
                .get("/account/webhook-secret", Access.ACCOUNT,
                        (ctx, accountId) -> Responses.json(ctx, 200, Views.webhookSecret(webhooks.secrets(accountId))))
                .post("/account/webhook-secret/rotate", Access.ACCOUNT,
                        (ctx, accountId) -> Responses.json(ctx, 200, Views.webhookSecret(webhooks.rotate(accountId))));
    }
}
