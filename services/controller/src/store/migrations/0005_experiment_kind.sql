ALTER TABLE "experiments" ADD COLUMN "kind" text DEFAULT 'candidate' NOT NULL;--> statement-breakpoint
UPDATE "experiments" SET "kind" = 'baseline' WHERE "number" = 0;
