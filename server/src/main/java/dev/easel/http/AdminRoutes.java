package dev.easel.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.accounts.Account;
import dev.easel.accounts.AccountService;
import dev.easel.errors.DomainError;
import dev.easel.jobs.JobService;
import dev.easel.json.Json;

/** Administration (bearer = the admin token): accounts, their credits and their keys. */
final class AdminRoutes {
    private final AccountService accounts;
    private final JobService jobs;

    AdminRoutes(AccountService accounts, JobService jobs) {
        this.accounts = accounts;
        this.jobs = jobs;
    }

    void register(RouteTable routes) {
        routes.post("/admin/accounts", Access.ADMIN, (ctx, none) -> {
                    Bodies.NewAccount n = Bodies.newAccount(ctx.bodyAsBytes());
                    AccountService.Created created = accounts.create(n.name(), n.creditsMicros(), n.maxConcurrentJobs(), n.maxBacklog());
                    ObjectNode out = Json.MAPPER.createObjectNode();
                    out.put("id", created.account().id());
                    out.put("api_key", created.apiKey());
                    out.setAll(Views.account(created.account(), jobs.usage(created.account().id())));
                    Responses.json(ctx, 201, out);
                })
                .get("/admin/accounts/{id}", Access.ADMIN, (ctx, none) -> {
                    Account a = accounts.find(ctx.pathParam("id")).orElseThrow(() -> new DomainError.NotFound("no account " + ctx.pathParam("id")));
                    Responses.json(ctx, 200, Views.account(a, jobs.usage(a.id())));
                })
                .post("/admin/accounts/{id}/credits", Access.ADMIN, (ctx, none) -> {
                    Account a = accounts.addCredits(ctx.pathParam("id"), Bodies.credits(ctx.bodyAsBytes()));
                    Responses.json(ctx, 200, Views.account(a, jobs.usage(a.id())));
                })
                .post("/admin/accounts/{id}/keys", Access.ADMIN,
                        (ctx, none) -> Responses.json(ctx, 201, Json.MAPPER.createObjectNode().put("api_key", accounts.issueKey(ctx.pathParam("id")))))
                .delete("/admin/accounts/{id}/keys", Access.ADMIN,
                        (ctx, none) -> Responses.json(ctx, 200, Json.MAPPER.createObjectNode().put("revoked", accounts.revokeKeys(ctx.pathParam("id")))));
    }
}
