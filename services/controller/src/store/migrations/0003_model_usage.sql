ALTER TABLE "experiments" ADD COLUMN "edits" jsonb;--> statement-breakpoint
ALTER TABLE "experiments" ADD COLUMN "model_usage" jsonb;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "paused_reason" text;