CREATE TABLE "skill_outputs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"study_id" text NOT NULL,
	"experiment_id" text NOT NULL,
	"input" text NOT NULL,
	"holdout" boolean NOT NULL,
	"output" text NOT NULL,
	"verdicts" jsonb NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"model_calls" integer NOT NULL,
	"input_tokens" integer NOT NULL,
	"output_tokens" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "role" text DEFAULT 'working' NOT NULL;--> statement-breakpoint
ALTER TABLE "skill_outputs" ADD CONSTRAINT "skill_outputs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "skill_outputs" ADD CONSTRAINT "skill_outputs_study_id_studies_id_fk" FOREIGN KEY ("study_id") REFERENCES "public"."studies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "skill_outputs" ADD CONSTRAINT "skill_outputs_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "skill_outputs_run_attempt_uq" ON "skill_outputs" USING btree ("run_id","attempt");--> statement-breakpoint
CREATE INDEX "skill_outputs_experiment_idx" ON "skill_outputs" USING btree ("experiment_id");