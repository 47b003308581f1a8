-- Core guild management
CREATE TABLE guilds (
    id BIGINT PRIMARY KEY,           -- Discord guild ID
    name TEXT NOT NULL,              -- Guild name
    settings JSONB DEFAULT '{}',     -- Guild-specific settings
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- User management across guilds
CREATE TABLE users (
    id BIGINT PRIMARY KEY,           -- Discord user ID
    username TEXT NOT NULL,          -- Current username
    display_name TEXT,               -- Display name
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Guild membership and roles
CREATE TABLE guild_memberships (
    guild_id BIGINT REFERENCES guilds(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    is_org_member BOOLEAN DEFAULT FALSE,
    join_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (guild_id, user_id)
);

-- Mining events
CREATE TABLE mining_events (
    id SERIAL PRIMARY KEY,
    guild_id BIGINT REFERENCES guilds(id) ON DELETE CASCADE,
    event_date DATE NOT NULL,
    event_time TIMESTAMP NOT NULL,
    event_name TEXT DEFAULT 'Sunday Mining',
    status VARCHAR(20) DEFAULT 'planned',    -- planned, active, completed, cancelled
    total_participants INTEGER DEFAULT 0,
    total_value_auec DECIMAL(15,2) DEFAULT 0,
    payroll_processed BOOLEAN DEFAULT FALSE,
    pdf_generated BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Mining channels (approved voice channels)
CREATE TABLE mining_channels (
    id SERIAL PRIMARY KEY,
    guild_id BIGINT REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL,      -- Discord voice channel ID
    channel_name TEXT NOT NULL,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(guild_id, channel_id)
);

-- Mining participation tracking
CREATE TABLE mining_participation (
    id SERIAL PRIMARY KEY,
    event_id INTEGER REFERENCES mining_events(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL,
    session_start TIMESTAMP NOT NULL,
    session_end TIMESTAMP,
    duration_seconds INTEGER,
    is_org_member BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Materials and their current values
CREATE TABLE materials (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    category VARCHAR(50),            -- ore, refined, component, etc.
    base_value_auec DECIMAL(10,2),
    current_market_value DECIMAL(10,2),
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Mining session material yields
CREATE TABLE mining_yields (
    id SERIAL PRIMARY KEY,
    participation_id INTEGER REFERENCES mining_participation(id) ON DELETE CASCADE,
    material_id INTEGER REFERENCES materials(id) ON DELETE CASCADE,
    quantity_scu DECIMAL(10,2) NOT NULL,
    estimated_value DECIMAL(15,2),
    recorded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Loan system
CREATE TABLE loans (
    id SERIAL PRIMARY KEY,
    guild_id BIGINT REFERENCES guilds(id) ON DELETE CASCADE,
    borrower_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    amount_auec DECIMAL(15,2) NOT NULL,
    interest_rate DECIMAL(5,4) DEFAULT 0.0000,
    status VARCHAR(20) DEFAULT 'active',     -- active, paid, defaulted
    issued_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    due_date TIMESTAMP,
    paid_date TIMESTAMP
);
