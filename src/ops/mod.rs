//! Operating the appliance: installing it on a server, the health checks of `doctor`,
//! the static export, the control socket the CLI talks to, the supervisor of
//! background work, resource sampling and the jobs that run on a schedule.

pub mod annual_report;
pub mod checklist;
pub mod control;
pub mod doctor;
pub mod export;
pub mod heal;
pub mod install;
pub mod jobs;
pub mod resources;
pub mod sites;
pub mod supervisor;
