CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"team_id" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"quota_slots" integer,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "teams_quota_slots_check" CHECK ("teams"."quota_slots" >= 0)
);
--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "team_id" text;--> statement-breakpoint
-- Added by hand to the generated file: studies made before teams existed (an embedded database from an
-- earlier version) move to the embedded mode's team, `local`, before the column becomes NOT NULL.
INSERT INTO "teams" ("id", "name") SELECT gen_random_uuid()::text, 'local' WHERE EXISTS (SELECT 1 FROM "studies");--> statement-breakpoint
UPDATE "studies" SET "team_id" = (SELECT "id" FROM "teams" WHERE "name" = 'local');--> statement-breakpoint
ALTER TABLE "studies" ALTER COLUMN "team_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "priority" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_token_hash_uq" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "api_tokens_team_idx" ON "api_tokens" USING btree ("team_id");--> statement-breakpoint
CREATE UNIQUE INDEX "teams_name_uq" ON "teams" USING btree ("name");--> statement-breakpoint
ALTER TABLE "studies" ADD CONSTRAINT "studies_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_token_hash_idx" ON "runs" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "studies_team_created_idx" ON "studies" USING btree ("team_id","created_at","id");--> statement-breakpoint
ALTER TABLE "studies" ADD CONSTRAINT "studies_priority_check" CHECK ("studies"."priority" >= 1);