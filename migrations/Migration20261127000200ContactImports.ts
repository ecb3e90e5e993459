import { Migration } from '@mikro-orm/migrations';

// CSV contact imports: the import (file, mapping, options, status, counts) and the rows it reports.
export class Migration20261127000200ContactImports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "contact_import" ("id" uuid not null, "account_id" uuid not null, "created_by" varchar(254) not null, "file_name" varchar(255) not null, "file_path" text not null, "file_size" bigint not null, "delimiter" varchar(1) not null, "header" jsonb not null, "preview" jsonb not null, "mapping" jsonb null, "existing" text check ("existing" in ('update', 'skip')) not null default 'update', "list_id" uuid null, "keep_bad_numbers" boolean not null default false, "status" text check ("status" in ('uploaded', 'queued', 'running', 'done', 'failed')) not null default 'uploaded', "total" int not null default 0, "processed" int not null default 0, "created" int not null default 0, "updated" int not null default 0, "skipped" int not null default 0, "invalid" int not null default 0, "bad_numbers" int not null default 0, "error_message" text null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, constraint "contact_import_pkey" primary key ("id"));`);
    this.addSql(`create index "contact_import_account_created_at_index" on "contact_import" ("account_id", "created_at");`);
    this.addSql(`alter table "contact_import" add constraint "contact_import_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact_import" add constraint "contact_import_list_id_foreign" foreign key ("list_id") references "contact_list" ("id") on update cascade on delete set null;`);
    this.addSql(`create table "contact_import_error" ("import_id" uuid not null, "line" int not null, "account_id" uuid not null, "phone" text null, "reason" text not null, constraint "contact_import_error_pkey" primary key ("import_id", "line"));`);
    this.addSql(`alter table "contact_import_error" add constraint "contact_import_error_import_id_foreign" foreign key ("import_id") references "contact_import" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact_import_error" add constraint "contact_import_error_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
  }
}
