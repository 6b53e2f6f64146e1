//! Diesel schema: one set of portable column types for both engines.

diesel::table! {
    organisations (id) {
        id -> BigInt,
        name -> Text,
        slug -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        status -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
        default_delivery -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Text,
        ip -> Text,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        scope -> Text,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    data_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor_organisation_id -> Nullable<BigInt>,
        action -> Text,
        target_kind -> Text,
        target_id -> Text,
        ip -> Text,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        kind -> Text,
        actor_user_id -> Nullable<BigInt>,
        organisation_id -> Nullable<BigInt>,
        target_kind -> Text,
        target_id -> Text,
        workspace_id -> Nullable<BigInt>,
        visibility -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        status -> Text,
        run_at -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        unique_key -> Nullable<Text>,
        lane -> Nullable<Text>,
    }
}

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        summary -> Text,
        kind -> Text,
        visibility -> Text,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workspace_members (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        organisation_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        author_user_id -> BigInt,
        organisation_id -> BigInt,
        title -> Text,
        body -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        author_user_id -> BigInt,
        organisation_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    actions (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        title -> Text,
        description -> Text,
        owner_organisation_id -> BigInt,
        owner_user_id -> Nullable<BigInt>,
        start_date -> Nullable<Date>,
        due_date -> Nullable<Date>,
        status -> Text,
        progress -> Integer,
        rag -> Text,
        rag_reason -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    milestones (id) {
        id -> BigInt,
        action_id -> BigInt,
        title -> Text,
        due_date -> Date,
        done_date -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outcomes (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        title -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    measures (id) {
        id -> BigInt,
        outcome_id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        unit -> Text,
        direction -> Text,
        baseline -> Double,
        target -> Double,
        target_date -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    readings (id) {
        id -> BigInt,
        measure_id -> BigInt,
        year -> Integer,
        quarter -> Integer,
        value -> Double,
        note -> Text,
        recorded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    opportunities (id) {
        id -> BigInt,
        reference -> Text,
        title -> Text,
        summary -> Text,
        service_area -> Text,
        kind -> Text,
        lead_organisation_id -> BigInt,
        workspace_id -> Nullable<BigInt>,
        contact_user_id -> Nullable<BigInt>,
        visibility -> Text,
        stage -> Text,
        stage_changed_at -> Timestamp,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        your_reference -> Text,
    }
}

diesel::table! {
    opportunity_partners (opportunity_id, organisation_id) {
        opportunity_id -> BigInt,
        organisation_id -> BigInt,
    }
}

diesel::table! {
    opportunity_transitions (id) {
        id -> BigInt,
        opportunity_id -> BigInt,
        from_stage -> Text,
        to_stage -> Text,
        note -> Text,
        actor_user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    savings (id) {
        id -> BigInt,
        opportunity_id -> BigInt,
        financial_year -> Integer,
        kind -> Text,
        cashable -> Bool,
        organisation_id -> BigInt,
        amount_pence -> BigInt,
        one_off_cost_pence -> BigInt,
        note -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    barriers (id) {
        id -> BigInt,
        opportunity_id -> BigInt,
        category -> Text,
        description -> Text,
        severity -> Text,
        owner -> Text,
        status -> Text,
        mitigation -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    endorsements (id) {
        id -> BigInt,
        opportunity_id -> BigInt,
        organisation_id -> BigInt,
        user_id -> BigInt,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    opportunity_comments (id) {
        id -> BigInt,
        opportunity_id -> BigInt,
        author_user_id -> BigInt,
        organisation_id -> BigInt,
        body -> Text,
        proposed_stage -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(invitations -> organisations (organisation_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(workspace_members -> workspaces (workspace_id));
diesel::joinable!(workspace_members -> organisations (organisation_id));
diesel::joinable!(posts -> workspaces (workspace_id));
diesel::joinable!(posts -> users (author_user_id));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (author_user_id));
diesel::joinable!(actions -> workspaces (workspace_id));
diesel::joinable!(actions -> organisations (owner_organisation_id));
diesel::joinable!(milestones -> actions (action_id));
diesel::table! {
    subscriptions (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        user_id -> Nullable<BigInt>,
        target_kind -> Text,
        target_id -> Nullable<BigInt>,
        theme_id -> Nullable<BigInt>,
        service_area -> Nullable<Text>,
        stage -> Nullable<Text>,
        delivery -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subscription_opt_outs (subscription_id, user_id) {
        subscription_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        event_id -> BigInt,
        subscription_id -> Nullable<BigInt>,
        reason -> Text,
        delivery -> Text,
        digest_job_id -> Nullable<BigInt>,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    feed_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        url -> Text,
        secret -> Text,
        event_kinds -> Text,
        active -> Bool,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> Nullable<BigInt>,
        event_kind -> Text,
        status -> Text,
        attempts -> Integer,
        response_status -> Nullable<Integer>,
        response_ms -> Nullable<Integer>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reviews (id) {
        id -> BigInt,
        year -> Integer,
        quarter -> Integer,
        deadline -> Date,
        status -> Text,
        opened_by -> BigInt,
        opened_at -> Timestamp,
        signed_off_by -> Nullable<BigInt>,
        signed_off_at -> Nullable<Timestamp>,
        snapshot -> Nullable<Text>,
        reminded_at -> Nullable<Timestamp>,
        organisation_id -> BigInt,
    }
}

diesel::table! {
    review_submissions (id) {
        id -> BigInt,
        review_id -> BigInt,
        workspace_id -> BigInt,
        status -> Text,
        overall_rag -> Text,
        commentary -> Text,
        decisions -> Text,
        content -> Text,
        submitted_by -> BigInt,
        submitted_at -> Timestamp,
        returned_by -> Nullable<BigInt>,
        returned_at -> Nullable<Timestamp>,
        return_comment -> Text,
    }
}

diesel::table! {
    import_mappings (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        kind -> Text,
        headings -> Text,
        mapping -> Text,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    import_uploads (id) {
        id -> BigInt,
        upload_key -> Text,
        user_id -> BigInt,
        kind -> Text,
        filename -> Text,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::joinable!(review_submissions -> reviews (review_id));
diesel::joinable!(notifications -> events (event_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(outcomes -> workspaces (workspace_id));
diesel::joinable!(measures -> outcomes (outcome_id));
diesel::joinable!(readings -> measures (measure_id));
diesel::joinable!(opportunities -> organisations (lead_organisation_id));
diesel::joinable!(opportunity_partners -> opportunities (opportunity_id));
diesel::joinable!(opportunity_transitions -> opportunities (opportunity_id));
diesel::joinable!(opportunity_transitions -> users (actor_user_id));
diesel::joinable!(savings -> opportunities (opportunity_id));
diesel::joinable!(barriers -> opportunities (opportunity_id));
diesel::joinable!(endorsements -> opportunities (opportunity_id));
diesel::joinable!(opportunity_comments -> opportunities (opportunity_id));
diesel::joinable!(opportunity_comments -> users (author_user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    sessions,
    invitations,
    password_resets,
    login_failures,
    audit_log,
    events,
    jobs,
    workspaces,
    workspace_members,
    posts,
    comments,
    actions,
    milestones,
    outcomes,
    measures,
    readings,
    opportunities,
    opportunity_partners,
    opportunity_transitions,
    savings,
    barriers,
    endorsements,
    opportunity_comments,
    subscriptions,
    subscription_opt_outs,
    notifications,
    feed_tokens,
    webhooks,
    webhook_deliveries,
    reviews,
    review_submissions,
    import_mappings,
    import_uploads,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    opportunities::stage,
    savings::financial_year,
    savings::kind,
    savings::cashable,
    savings::organisation_id,
);
